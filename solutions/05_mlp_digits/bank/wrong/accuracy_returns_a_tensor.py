def accuracy(model, X, y):
    model.eval()
    with torch.no_grad():
        predictions = model(X).argmax(dim=1)
    return (predictions == y).float().mean()
