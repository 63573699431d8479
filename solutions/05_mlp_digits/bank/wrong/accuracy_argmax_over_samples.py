def accuracy(model, X, y):
    model.eval()
    with torch.no_grad():
        predictions = model(X).argmax(dim=0)
    return (predictions == y).float().mean().item()
