def trainer(model, criterion, optimizer, dataloader, epochs=5):
    history = []
    for _ in range(epochs):
        losses = 0
        for X, y in dataloader:
            optimizer.zero_grad()
            y_hat = model(X).flatten()
            loss = criterion(y_hat, y)
            loss.backward()
            optimizer.step()
            losses += loss.item()
        history.append(losses / len(dataloader))
    return history
